// Every migration, in order. A static map (rather than reading the folder) keeps migrations working
// from a bundle and makes the order explicit. Migrations are forward only: never edit a landed one.
import type { Migration } from 'kysely'
import * as m0001 from './0001-collectors-and-sources.js'
import * as m0002 from './0002-runtime.js'
import * as m0003 from './0003-source-change-notifications.js'
import * as m0004 from './0004-quarantine-parts-and-event-indexes.js'
import * as m0005 from './0005-source-progress-and-origins.js'

export const migrations: Record<string, Migration> = {
  '0001-collectors-and-sources': m0001,
  '0002-runtime': m0002,
  '0003-source-change-notifications': m0003,
  '0004-quarantine-parts-and-event-indexes': m0004,
  '0005-source-progress-and-origins': m0005,
}
