import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRemoteFileSystem, mountOf } from '../../src/hook/mountOf.js';

const MOUNTS = [
  'overlay / overlay rw,relatime 0 0',
  'proc /proc proc rw,nosuid 0 0',
  '10.0.0.5:/export /srv/nfs nfs4 rw,hard 0 0',
  'tmpfs /srv/nfs/cache tmpfs rw 0 0',
  'sshfs#u@h: /mnt/with\\040space fuse.sshfs rw 0 0',
  '/dev/sda1 /data ext4 rw 0 0',
  '/dev/sdb1 /data ext4 rw 0 0',
  '',
].join('\n');

test('the longest mount point that holds the path, without following links', () => {
  assert.equal(mountOf('/etc/geo-hook/secret', MOUNTS), { mountPoint: '/', fsType: 'overlay' });
  assert.equal(mountOf('/srv/nfs/geo-hook/secret', MOUNTS), { mountPoint: '/srv/nfs', fsType: 'nfs4' });
  assert.equal(mountOf('/srv/nfs', MOUNTS), { mountPoint: '/srv/nfs', fsType: 'nfs4' });
  assert.equal(mountOf('/srv/nfs/cache/x', MOUNTS), { mountPoint: '/srv/nfs/cache', fsType: 'tmpfs' });
  // A name that only starts like a mount point is not under it.
  assert.equal(mountOf('/srv/nfsx/secret', MOUNTS), { mountPoint: '/', fsType: 'overlay' });
  assert.equal(mountOf('/mnt/with space/secret', MOUNTS), { mountPoint: '/mnt/with space', fsType: 'fuse.sshfs' });
  assert.equal(mountOf('/data/x', MOUNTS), { mountPoint: '/data', fsType: 'ext4' });
  assert.is(mountOf('/x', ''), undefined);
});

test('file systems whose server can stop answering', () => {
  for (const type of ['nfs', 'nfs4', 'cifs', 'smb3', 'ceph', 'glusterfs', 'fuse', 'fuse.sshfs', 'fuse.s3fs', 'autofs', '9p']) assert.ok(isRemoteFileSystem(type), type);
  for (const type of ['ext4', 'xfs', 'btrfs', 'tmpfs', 'overlay', 'proc', 'fuseblk', 'nfsd', 'fusectl']) assert.not.ok(isRemoteFileSystem(type), type);
});

test.run();
