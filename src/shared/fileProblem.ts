/**
 * What a failed open or read of a file means, in words, after the file's
 * name: "secret file /etc/x does not exist". One table, so that the hook,
 * serve, check and the installer say the same thing for the same fault.
 */
export function fileProblem(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read by this user (permission denied)';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'cannot be reached: a part of its path is a file, not a folder';
    case 'ELOOP':
      return 'cannot be reached: its symbolic links go round in a loop';
    case 'ENAMETOOLONG':
      return 'cannot be reached: its name is too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'cannot be opened now: too many files are open';
    case 'EIO':
      return 'cannot be read: input/output error (a failing disk or network file system)';
    case 'ENXIO':
    case 'EAGAIN':
      return 'cannot be read without waiting (a FIFO or a device, not a file)';
    default:
      return `cannot be read (system error ${code ?? 'without a code'})`;
  }
}
