// What Fargate costs, for `berth usage`. Pure data and arithmetic, no I/O.
//
// The figures are AWS's public on-demand prices for Linux in US East
// (N. Virginia), from https://aws.amazon.com/fargate/pricing/ ("Pricing
// details"), as of 2026 (read December 2026; the same figures AWS has
// published since its January 2019 price cut for x86 and since the Graviton
// launch in November 2021 for ARM; aws.amazon.com/ecs/pricing's worked
// example states the x86 vCPU rate per second as $0.000011244).
//
// Fargate Spot has no fixed price: AWS publishes a live Spot rate per region
// and describes it as "up to a 70% discount off the regular Fargate price".
// berth models Spot as that discount off the on-demand rate; --spot-discount
// sets another one.

export type Architecture = 'x86_64' | 'arm64';

/** Prices of one architecture, in USD. */
export interface UnitPrices {
  /** Per vCPU per hour. */
  vcpuHour: number;
  /** Per GB of memory per hour. */
  gbHour: number;
}

export interface PriceRates {
  /** On-demand prices by CPU architecture. */
  byArch: Record<Architecture, UnitPrices>;
  /** Per GB-hour of ephemeral storage beyond the 20 GB every task gets free (both architectures). */
  storageGbHour: number;
  /** FARGATE_SPOT's discount off the on-demand price, 0–1. */
  spotDiscount: number;
  /** Where the figures come from, as the usage report's footer states it. */
  source: string;
  /** Which figures the caller replaced (for the footer). */
  overridden: Array<keyof PriceOverrides>;
}

export const FARGATE_PRICES_DATE = '2026-12';
export const FREE_EPHEMERAL_STORAGE_GIB = 20;

export const FARGATE_US_EAST_1: PriceRates = {
  byArch: {
    x86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
    arm64: { vcpuHour: 0.03238, gbHour: 0.00356 },
  },
  storageGbHour: 0.000111,
  spotDiscount: 0.7,
  source: `AWS Fargate Linux/x86 us-east-1 on-demand, ${FARGATE_PRICES_DATE} (Linux/ARM for arm64 tasks)`,
  overridden: [],
};

/** The price flags of `berth usage`; each replaces the figure for every architecture. */
export interface PriceOverrides {
  vcpuHour?: number;
  gbHour?: number;
  storageGbHour?: number;
  spotDiscount?: number;
}

/** `base` with the given figures replaced; a negative price or a discount outside 0–1 is an error naming its flag. */
export function withOverrides(base: PriceRates, o: PriceOverrides): PriceRates {
  const check = (flag: string, v: number | undefined, max = Infinity) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= max)) {
      throw new Error(`--${flag} ${v}: give ${max === 1 ? 'a fraction from 0 to 1, e.g. 0.7' : 'a price in USD, 0 or more'}`);
    }
  };
  check('vcpu-hour', o.vcpuHour);
  check('gb-hour', o.gbHour);
  check('storage-gb-hour', o.storageGbHour);
  check('spot-discount', o.spotDiscount, 1);
  const arch = (p: UnitPrices): UnitPrices => ({ vcpuHour: o.vcpuHour ?? p.vcpuHour, gbHour: o.gbHour ?? p.gbHour });
  const overridden = (Object.keys(o) as Array<keyof PriceOverrides>).filter((k) => o[k] !== undefined);
  return {
    byArch: { x86_64: arch(base.byArch.x86_64), arm64: arch(base.byArch.arm64) },
    storageGbHour: o.storageGbHour ?? base.storageGbHour,
    spotDiscount: o.spotDiscount ?? base.spotDiscount,
    source: base.source,
    overridden: [...new Set([...base.overridden, ...overridden])],
  };
}

/** USD for metered usage at these rates. */
export function costOf(rates: PriceRates, u: { vcpuSeconds: number; gbSeconds: number; extraStorageGbSeconds: number; arch: Architecture; spot: boolean }): number {
  const p = rates.byArch[u.arch];
  const onDemand = (u.vcpuSeconds * p.vcpuHour + u.gbSeconds * p.gbHour + u.extraStorageGbSeconds * rates.storageGbHour) / 3600;
  return u.spot ? onDemand * (1 - rates.spotDiscount) : onDemand;
}

/** The footer line naming exactly the figures used. */
export function describeRates(rates: PriceRates): string[] {
  const usd = (n: number) => `$${n}`;
  const mark = (k: keyof PriceOverrides) => (rates.overridden.includes(k) ? ' (--' + flagOf[k] + ')' : '');
  const x = rates.byArch.x86_64;
  const a = rates.byArch.arm64;
  const lines = [
    rates.overridden.length === 0 ? `Prices: ${rates.source}.` : `Prices: ${rates.source}, with your overrides marked.`,
    `  x86_64: ${usd(x.vcpuHour)} per vCPU-hour${mark('vcpuHour')}, ${usd(x.gbHour)} per GB-hour${mark('gbHour')}`,
    `  arm64:  ${usd(a.vcpuHour)} per vCPU-hour${mark('vcpuHour')}, ${usd(a.gbHour)} per GB-hour${mark('gbHour')}`,
    `  ephemeral storage beyond ${FREE_EPHEMERAL_STORAGE_GIB} GB: ${usd(rates.storageGbHour)} per GB-hour${mark('storageGbHour')}; FARGATE_SPOT: on-demand less ${round(rates.spotDiscount * 100, 4)}%${mark('spotDiscount')}`,
  ];
  return lines;
}

const flagOf: Record<keyof PriceOverrides, string> = { vcpuHour: 'vcpu-hour', gbHour: 'gb-hour', storageGbHour: 'storage-gb-hour', spotDiscount: 'spot-discount' };

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
