import { after } from "node:test";
import { RegistryClient, type RegistryClientOptions } from "../../src/registry/index.js";

/**
 * Registry clients a suite builds (as `kmm-preflight check` builds one per run), all closed after the
 * suite: call it in a describe() body. `defaults` are read when a client is built, so they may name a
 * registry that before() starts.
 */
export function trackedClients(defaults: () => RegistryClientOptions = () => ({})) {
  const clients: RegistryClient[] = [];
  after(() => Promise.all(clients.splice(0).map((c) => c.close())));
  return {
    clientFor(o: RegistryClientOptions = {}): RegistryClient {
      const c = new RegistryClient({ ...defaults(), ...o });
      clients.push(c);
      return c;
    },
  };
}
