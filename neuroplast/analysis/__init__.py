"""Read-outs of recorded runs: measures, connectivity, spectra, acute read-outs, recall, stats."""
