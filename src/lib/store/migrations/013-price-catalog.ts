import type { Migration } from './migration.js'

/**
 * The providers' price lists and catalogues as clawops last read them: one row per plan (and per
 * region where a provider prices regions apart), the regions each provider offers, and per provider
 * where the list came from (its API endpoints, or Contabo's dated table) and when. A refresh
 * replaces a provider's rows in one transaction; billing segments copy the price they open at.
 */
export const priceCatalog: Migration = {
  version: 13,
  name: 'price catalogue (plans, prices and regions read from the providers)',
  sql: `
    CREATE TABLE price_catalog (
      provider TEXT NOT NULL,
      plan TEXT NOT NULL,
      -- '' when the provider prices the plan the same in every region.
      region TEXT NOT NULL DEFAULT '',
      vcpus INTEGER,
      memory_mb INTEGER,
      disk_gb INTEGER,
      currency TEXT NOT NULL CHECK (currency IN ('EUR', 'USD')),
      -- The price as published (a decimal string) and in minor units, rounded half up.
      monthly_amount TEXT NOT NULL,
      monthly_minor INTEGER NOT NULL CHECK (monthly_minor >= 0),
      -- Hourly rate in millionths of the currency unit; NULL when the provider publishes none.
      hourly_micros INTEGER,
      monthly_gross_minor INTEGER,
      term_months INTEGER NOT NULL DEFAULT 1 CHECK (term_months >= 1),
      -- JSON array of the regions the plan is sold in; NULL when the API does not say.
      sold_in TEXT,
      PRIMARY KEY (provider, plan, region)
    ) STRICT;

    CREATE TABLE price_regions (
      provider TEXT NOT NULL,
      code TEXT NOT NULL,
      city TEXT,
      country TEXT,
      available INTEGER NOT NULL CHECK (available IN (0, 1)),
      PRIMARY KEY (provider, code)
    ) STRICT;

    CREATE TABLE price_sources (
      provider TEXT PRIMARY KEY,
      -- 'api': read from the provider's API; 'table': a dated table shipped with clawops (Contabo).
      kind TEXT NOT NULL CHECK (kind IN ('api', 'table')),
      -- What was read: the endpoints, or the table's name and date.
      source TEXT NOT NULL,
      -- When the list was read (api) or last checked against the provider's site (table).
      as_of TEXT NOT NULL,
      refreshed_at TEXT NOT NULL,
      plans INTEGER NOT NULL
    ) STRICT;
  `,
}
