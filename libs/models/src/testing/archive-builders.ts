import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';

/**
 * Builders for upload archives, including hostile ones (traversal paths, links, lying sizes) that
 * real archivers refuse to produce. Used by unit and e2e tests; never by the application.
 */

export interface ZipEntrySpec {
  path: string;
  data?: Buffer;
  /** Unix mode, e.g. 0o120777 for a symbolic link (its data is then the link target). */
  mode?: number;
  deflate?: boolean;
  /** Claim a different uncompressed size than the real one (zip-bomb style lies). */
  declaredSize?: number;
}

export function zipArchive(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(e.path, 'utf8');
    const body = e.deflate ? deflateRawSync(data) : data;
    const method = e.deflate ? 8 : 0;
    const crc = crc32(data);
    const size = e.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30);
    central.writeUInt16LE(0, 32);
    central.writeUInt16LE(0, 34);
    central.writeUInt16LE(0, 36);
    const mode = e.mode ?? (e.path.endsWith('/') ? 0o040755 : 0o100644);
    central.writeUInt32LE((mode * 0x10000 + (e.path.endsWith('/') ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export interface TarEntrySpec {
  path: string;
  data?: Buffer;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO' | 'CharacterDevice';
  linkpath?: string;
}

/** A raw tar (ustar headers written as given: no path cleaning), optionally gzipped. */
export function tarArchive(entries: TarEntrySpec[], gzip = true): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const type = e.type ?? 'File';
    const header = Buffer.alloc(512);
    new Header({
      path: e.path,
      mode: type === 'Directory' ? 0o755 : 0o644,
      size: type === 'File' ? data.length : 0,
      mtime: new Date(0),
      type,
      linkpath: e.linkpath,
      uid: 0,
      gid: 0,
    }).encode(header, 0);
    blocks.push(header);
    if (type === 'File' && data.length) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return gzip ? gzipSync(tar) : tar;
}

/** A .tar.gz whose single file inflates to `bytes` zeros: tiny on the wire, huge once opened. */
export function gzipBomb(bytes: number): Buffer {
  return tarArchive([{ path: 'model.json', data: Buffer.alloc(bytes) }]);
}
