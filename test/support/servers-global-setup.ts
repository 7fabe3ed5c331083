import { recordServerProbe } from './servers';

/** The integration tier's global setup: one probe of the real servers for the whole run (test/support/servers.ts). */
export default async function serversGlobalSetup(): Promise<void> {
  await recordServerProbe();
}
