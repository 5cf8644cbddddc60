"""Runs first on the board; main.py follows and starts the firmware."""
import gc

gc.collect()
