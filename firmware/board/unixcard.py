"""The unix board's SD card when --sd is a FAT image file: the file as a block device,
mounted with the board's VfsFat. Resident while the card is mounted (VfsFat calls its
methods), so it holds nothing else: on the board the card is machine.SDCard, in C."""

import vfs

SECTOR = 512  # a FAT image's block


class ImageFile:
    """A FAT image file as a block device, for vfs.VfsFat (as the board's SD card)."""

    def __init__(self, path):
        self.f = open(path, "r+b")
        self.blocks = self.f.seek(0, 2) // SECTOR

    def readblocks(self, n, buf):
        self.f.seek(n * SECTOR)
        self.f.readinto(buf)

    def writeblocks(self, n, buf):
        self.f.seek(n * SECTOR)
        self.f.write(buf)
        self.f.flush()

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return SECTOR
        return 0


def mount_image(path, mount_point):
    """Mount the FAT image at path on mount_point with the board's VfsFat; the error
    text, or None."""
    try:
        vfs.umount(mount_point)
    except OSError:
        pass
    try:
        vfs.mount(vfs.VfsFat(ImageFile(path)), mount_point)
        return None
    except OSError as e:
        return "SD image %s cannot be mounted: %s" % (path, e)
