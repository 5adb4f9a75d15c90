import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isReallyRemote, isRemoteFileSystem, mountOf } from '../../src/hook/mountOf.js';

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

/** A little tree of links, and a record of every component looked at. */
function links(table: Record<string, string>) {
  const looked: string[] = [];
  return { looked, readLink: (component: string) => (looked.push(component), table[component]) };
}

test('isReallyRemote: a link from a local folder into a remote mount is remote, and nothing on the mount is looked at', () => {
  const fs = links({ '/etc/geo-hook/secret': '/srv/nfs/secrets/hook' });
  assert.is(isReallyRemote('/etc/geo-hook/secret', MOUNTS, fs.readLink), true);
  // /srv is local and looked at; /srv/nfs is the mount itself: never touched.
  assert.equal(fs.looked, ['/etc', '/etc/geo-hook', '/etc/geo-hook/secret', '/srv']);
});

test('isReallyRemote: relative links, links to folders, .. after a link, and plain local paths', () => {
  // /opt/conf -> ../srv/nfs (a folder on the mount, by a relative link)
  assert.is(isReallyRemote('/opt/conf/config.json', MOUNTS, links({ '/opt/conf': '../srv/nfs' }).readLink), true);
  // /opt/conf -> nfs-cache -> /srv/nfs/cache: a local tmpfs mounted inside the NFS mount, reached by links
  const cache = links({ '/opt/conf': '/srv/nfs/cache' });
  assert.is(isReallyRemote('/opt/conf/x', MOUNTS, cache.readLink), true, 'under /srv/nfs, the path crosses the NFS mount first');
  // /var/log/geo -> /data/logs, then .. back out: /data is local
  assert.is(isReallyRemote('/var/log/geo/../x', MOUNTS, links({ '/var/log/geo': '/data/logs' }).readLink), false);
  assert.is(isReallyRemote('/data/logs/hook.log', MOUNTS, links({}).readLink), false);
  // A link out of a local folder into the FUSE mount with a space in its name.
  assert.is(isReallyRemote('/home/git/secret', MOUNTS, links({ '/home/git/secret': '/mnt/with space/s' }).readLink), true);
  // A path straight on the mount is remote before anything is looked at.
  const direct = links({});
  assert.is(isReallyRemote('/srv/nfs/secret', MOUNTS, direct.readLink), true);
  assert.equal(direct.looked, ['/srv']);
});

test('isReallyRemote: with nothing remote mounted, no component is looked at (the hook\'s hot path)', () => {
  const local = ['overlay / overlay rw 0 0', '/dev/sda1 /data ext4 rw 0 0', 'proc /proc proc rw 0 0'].join('\n');
  const fs = links({ '/etc/secret': '/data/secret' });
  assert.is(isReallyRemote('/etc/secret', local, fs.readLink), false);
  assert.equal(fs.looked, []);
});

test('isReallyRemote: a loop of links ends (the open will say ELOOP)', () => {
  assert.is(isReallyRemote('/a/x', MOUNTS, links({ '/a': '/b', '/b': '/a' }).readLink), false);
});

test.run();
