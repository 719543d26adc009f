/**
 * The boot seam of the lab cloud. The emulated APIs own the server state machine; what "the OS
 * comes up" means is delegated to a BootDriver. The `instant` driver (instant-boot-driver.ts) just
 * reports ready after a delay; a gf-clawnode driver starts a real node process (or a virtual node
 * in a swarm host) that reads `userData` exactly as cloud-init on a VPS would and joins the
 * operator's gateway, then calls `ready()`.
 *
 * Contract:
 * - `start` is called when a server powers on: after create, power-on, reboot, a plan change that
 *   restarts it, the end of a region outage, and for every powered-on server when the lab process
 *   starts again (`reason: 'resume'`: whatever the driver ran died with the old lab process, or
 *   did not; the driver decides). It must not block: return quickly and signal later.
 * - `signals.ready()` makes the provider API report the server as running (and completes the
 *   create/power-on/reboot action). `signals.failed(reason)` puts it into the provider's error
 *   state. Signals from a superseded boot (the server was rebooted or deleted meanwhile) are
 *   ignored, so a driver never needs to track that itself.
 * - `stop` is called when the server powers off, reboots (before the next `start`), is deleted,
 *   or its region has an outage. After `reason: 'delete'` the server will never start again: free
 *   everything (processes, directories).
 * - `close` is called once when the lab shuts down; stop what is running without deleting state,
 *   since the servers still exist and will be resumed.
 * - `reason: 'reinstall'` (Contabo reinstall, Hostinger recreate) wipes the disk: free everything as
 *   for a delete; the server then starts again from its new user data (none: a bare OS).
 * - `snapshot` (optional) copies the server's disk as it is now under the snapshot's id, and
 *   `dropSnapshot` removes such a copy; a driver whose servers have no disk leaves them out.
 * Calls for one server reach the driver in order, each after the previous one finished.
 */
import type { Provider } from '../../domain/provider.js'

export interface BootServer {
  provider: Provider
  /** The provider's id of the server (as in its API). */
  id: string
  name: string
  region: string
  plan: string
  image: string
  ipv4: string
  ipv6: string
  /** Decoded user data: cloud-init text (Hostinger: the post-install script); null when none was given. */
  userData: string | null
  /** Key/value labels (Hetzner) or decoded clawops tags (DigitalOcean, Vultr); {} otherwise. */
  labels: Record<string, string>
}

export interface BootSignals {
  ready(): void
  failed(reason: string): void
}

export type StartReason = 'create' | 'power_on' | 'reboot' | 'resize' | 'recover' | 'resume' | 'reinstall'
export type StopReason = 'power_off' | 'reboot' | 'resize' | 'delete' | 'outage' | 'reinstall'

export interface BootDriver {
  readonly name: string
  start(server: BootServer, signals: BootSignals, ctx: { reason: StartReason }): void | Promise<void>
  stop(server: BootServer, ctx: { reason: StopReason }): void | Promise<void>
  snapshot?(server: BootServer, snapshotId: string): void | Promise<void>
  dropSnapshot?(provider: Provider, snapshotId: string): void | Promise<void>
  close?(): Promise<void>
}
