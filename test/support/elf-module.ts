// A minimal, valid kernel-module-shaped ELF file for signing tests: an ELF64 little-endian relocatable
// object (ET_REL, x86-64) with a `.modinfo` section (NUL-separated key=value strings, what modinfo
// prints) and a section-name string table. Generated here, so the tests need no compiler.

const EHDR = 64;
const SHDR = 64;

export interface ElfModuleOptions {
  /** `.modinfo` entries, e.g. { license: "GPL", description: "…" }. */
  readonly modinfo?: Readonly<Record<string, string>>;
  /** Extra bytes in a `.text` section, so modules of different content differ. @default "" */
  readonly text?: string | Buffer;
}

export function elfModule(opts: ElfModuleOptions = {}): Buffer {
  const modinfo = Buffer.from(Object.entries(opts.modinfo ?? { license: "GPL", description: "kmm-preflight test module" }).map(([k, v]) => `${k}=${v}\0`).join(""));
  const text = Buffer.from(opts.text ?? "");
  const names = ["", ".text", ".modinfo", ".shstrtab"];
  const shstrtab = Buffer.from(`${names.join("\0")}\0`);
  const nameOffset = (n: string) => shstrtab.indexOf(`\0${n}\0`) + 1;

  const textAt = EHDR;
  const modinfoAt = textAt + text.length;
  const shstrtabAt = modinfoAt + modinfo.length;
  const shoff = Math.ceil((shstrtabAt + shstrtab.length) / 8) * 8;
  const sections = [
    { name: 0, type: 0, flags: 0n, offset: 0, size: 0 },
    { name: nameOffset(".text"), type: 1 /* PROGBITS */, flags: 6n /* ALLOC|EXECINSTR */, offset: textAt, size: text.length },
    { name: nameOffset(".modinfo"), type: 1, flags: 2n /* ALLOC */, offset: modinfoAt, size: modinfo.length },
    { name: nameOffset(".shstrtab"), type: 3 /* STRTAB */, flags: 0n, offset: shstrtabAt, size: shstrtab.length },
  ];

  const out = Buffer.alloc(shoff + SHDR * sections.length);
  out.write("\x7fELF", 0, "latin1");
  out[4] = 2; // ELFCLASS64
  out[5] = 1; // ELFDATA2LSB
  out[6] = 1; // EV_CURRENT
  out.writeUInt16LE(1, 16); // e_type ET_REL
  out.writeUInt16LE(62, 18); // e_machine EM_X86_64
  out.writeUInt32LE(1, 20); // e_version
  out.writeBigUInt64LE(BigInt(shoff), 40); // e_shoff
  out.writeUInt16LE(EHDR, 52); // e_ehsize
  out.writeUInt16LE(SHDR, 58); // e_shentsize
  out.writeUInt16LE(sections.length, 60); // e_shnum
  out.writeUInt16LE(sections.length - 1, 62); // e_shstrndx
  text.copy(out, textAt);
  modinfo.copy(out, modinfoAt);
  shstrtab.copy(out, shstrtabAt);
  sections.forEach((s, i) => {
    const at = shoff + i * SHDR;
    out.writeUInt32LE(s.name, at);
    out.writeUInt32LE(s.type, at + 4);
    out.writeBigUInt64LE(s.flags, at + 8);
    out.writeBigUInt64LE(BigInt(s.offset), at + 24);
    out.writeBigUInt64LE(BigInt(s.size), at + 32);
    out.writeBigUInt64LE(s.type === 0 ? 0n : 1n, at + 48); // sh_addralign
  });
  return out;
}
