"""A file system as served by a network server, some of whose files hang
when opened (the server stopped answering: open() waits HANG seconds, then
fails with EIO) and some of which work (ok-secret to read, ok.log to append
to; a file created there works too). Run by test/helpers/hangingFs.ts:
hangingFs.py <mount point> <seconds>. Debian: fuse3 and python3-fusepy."""
import errno
import stat
import sys
import threading
import time

from fusepy import FUSE, FuseOSError, Operations

HANGING = ('secret', 'config.json', 'ca.pem', 'hook.log')


class Hanging(Operations):
    def __init__(self, seconds):
        self.seconds = seconds
        self.lock = threading.Lock()
        self.files = {'ok-secret': bytearray(b'hung-secret\n'), 'ok.log': bytearray()}

    def getattr(self, path, fh=None):
        name = path.lstrip('/')
        if path == '/':
            return {'st_mode': stat.S_IFDIR | 0o755, 'st_nlink': 2}
        if name in HANGING:
            return {'st_mode': stat.S_IFREG | 0o644, 'st_nlink': 1, 'st_size': 64}
        with self.lock:
            if name in self.files:
                return {'st_mode': stat.S_IFREG | 0o644, 'st_nlink': 1, 'st_size': len(self.files[name])}
        raise FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        with self.lock:
            return ['.', '..', *HANGING, *self.files]

    def open(self, path, flags):
        if path.lstrip('/') in HANGING:
            time.sleep(self.seconds)
            raise FuseOSError(errno.EIO)
        return 0

    def create(self, path, mode, fi=None):
        name = path.lstrip('/')
        if name in HANGING:
            return self.open(path, 0)
        with self.lock:
            self.files.setdefault(name, bytearray())
        return 0

    def read(self, path, size, offset, fh):
        with self.lock:
            return bytes(self.files[path.lstrip('/')][offset:offset + size])

    def write(self, path, data, offset, fh):
        with self.lock:
            content = self.files[path.lstrip('/')]
            content[offset:offset + len(data)] = data
        return len(data)

    def truncate(self, path, length, fh=None):
        with self.lock:
            del self.files[path.lstrip('/')][length:]


if __name__ == '__main__':
    FUSE(Hanging(float(sys.argv[2])), sys.argv[1], foreground=True, nothreads=False)
