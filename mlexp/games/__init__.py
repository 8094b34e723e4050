"""The games played against the computer: the rock-paper-scissors opponent."""
