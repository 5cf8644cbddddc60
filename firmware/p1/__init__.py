"""The P1 port: the reader turns the board's byte stream into readings (reader)."""
