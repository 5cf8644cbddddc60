"""Updates: the two app slots in flash (slots) and installing a bundle or a
MicroPython image over the air (ota, loaded per request)."""
