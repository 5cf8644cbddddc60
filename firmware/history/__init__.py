"""The quarter history: readings become quarters (recorder), quarter files on the SD
card (store), the month's capacity peak (peaks), and reading the history back for the
API (answers, loaded per request)."""
