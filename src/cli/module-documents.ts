import { MODULE_KIND, type Module } from "../api/index.js";
import { decodeObjects, describeObject } from "../manifest-io/decode.js";

// The Modules in the files a command is given (`check`, `sign`): every document read, other kinds
// noted and ignored, unreadable documents reported, a Module without a namespace given `namespace`.

export interface ModuleDocuments {
  readonly modules: readonly Module[];
  /** Documents that could not be read, each naming its file and position. */
  readonly errors: readonly string[];
  /** Documents of other kinds, ignored. */
  readonly notes: readonly string[];
}

function toModule(value: Record<string, unknown>, namespace: string): Module {
  const m = value as unknown as Module;
  return { ...m, metadata: { ...m.metadata, namespace: m.metadata?.namespace || namespace } };
}

/** `-` reads standard input (through `readInput`). */
export async function readModuleDocuments(files: readonly string[], namespace: string, readInput: (path: string) => Promise<string | Uint8Array>): Promise<ModuleDocuments> {
  const errors: string[] = [];
  const notes: string[] = [];
  const modules: Module[] = [];
  for (const f of files) {
    for (const doc of decodeObjects(await readInput(f), f === "-" ? "<stdin>" : f)) {
      if (!doc.ok) errors.push(`${doc.source}: ${doc.message}`);
      else if (doc.value["kind"] === MODULE_KIND) modules.push(toModule(doc.value, namespace));
      else notes.push(`${doc.source}: ${describeObject(doc.value)} is not a Module; ignored`);
    }
  }
  return { modules, errors, notes };
}
