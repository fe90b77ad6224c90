"""Config to brian2 network to recording: building, running and storing one simulation."""
