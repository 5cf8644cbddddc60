"""JSON objects written into one preallocated bytearray.

Building a body from a list of parts and joining it needs the parts and two or three
copies of the text at once; on a small, fragmented heap that is what fails. Here only
small temporaries are made, and one copy of the finished text.
"""


class JsonOut:
    def __init__(self, size):
        self.buf = bytearray(size)
        self.start()

    def start(self):
        """Begin a new object (also after one was abandoned half way)."""
        self.n = 0
        self.sep = b"{"

    def raw(self, text):
        """Append text (str or bytes) as it is."""
        if isinstance(text, str):
            text = text.encode()
        n = self.n
        end = n + len(text)
        if end > len(self.buf):
            raise ValueError("JSON output is over %d bytes" % len(self.buf))
        self.buf[n:end] = text
        self.n = end

    def key(self, name):
        self.raw(self.sep)
        self.sep = b","
        self.raw(b'"')
        self.raw(name)
        self.raw(b'":')

    def value(self, name, text):
        """name: a JSON number / literal already in text form."""
        self.key(name)
        self.raw(text)

    def string(self, name, text):
        self.key(name)
        self.raw(b'"')
        if '"' in text or "\\" in text:
            text = text.replace("\\", "\\\\").replace('"', '\\"')
        self.raw(text)
        self.raw(b'"')

    def done(self):
        """The finished object as bytes; the writer is ready for the next one."""
        if self.sep == b"{":
            self.raw(b"{")
        self.raw(b"}")
        return bytes(memoryview(self.buf)[:self.n])
