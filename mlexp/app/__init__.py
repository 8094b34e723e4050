"""What people run: the command line, the gallery server, the notebook runner."""
