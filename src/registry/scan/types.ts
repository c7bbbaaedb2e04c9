// The plain types the scanner hands to the rest of berth. The finding shapes
// mirror botocore's ECR model (`ImageScanFindings`, `ImageScanStatus`) member
// for member, so the ECR front end can return them as they are.

/** One installed package, as found in the image. */
export interface Package {
  /** OSV ecosystem, with a release suffix for OS packages (`Debian:12`, `Alpine:v3.19`). */
  ecosystem: string;
  name: string;
  version: string;
  /** dpkg `Source`, apk `o:` (origin), rpm `SOURCERPM`'s name: what distro advisories name. */
  sourceName?: string;
  /** dpkg only, when `Source: name (version)` says the source version differs from the binary's. */
  sourceVersion?: string;
  /** The file it came from, relative to the image root. */
  path: string;
}

export interface OsRelease {
  id: string;
  versionId?: string;
  prettyName?: string;
  idLike?: string[];
}

export interface Inventory {
  os?: OsRelease;
  packages: Package[];
  /** What was seen but not read (zstd layers, BerkeleyDB rpm databases, oversized files). */
  notes: string[];
}

/** A layer blob, opened lazily so only one is read at a time. */
export type LayerOpener = () => Promise<NodeJS.ReadableStream | import('node:stream').Readable>;

// OSV, as much of it as the scanner reads. https://ossf.github.io/osv-schema/
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  events: OsvEvent[];
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvAffected {
  package: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  severity?: OsvSeverity[];
  database_specific?: Record<string, unknown>;
  ecosystem_specific?: Record<string, unknown>;
}

export interface Osv {
  id: string;
  modified: string;
  withdrawn?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: Array<{ type?: string; url: string }>;
  database_specific?: Record<string, unknown>;
}

export type FindingSeverity = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'UNDEFINED';

export interface Attribute {
  key: string;
  value?: string;
}

export interface ImageScanFinding {
  name: string;
  description: string;
  uri: string;
  severity: FindingSeverity;
  attributes: Attribute[];
}

export interface ImageScanFindings {
  imageScanCompletedAt: Date;
  vulnerabilitySourceUpdatedAt?: Date;
  /** Only the severities that occur, as ECR reports them. */
  findingSeverityCounts: Partial<Record<FindingSeverity, number>>;
  findings: ImageScanFinding[];
}

export interface ScanResult {
  imageScanStatus: { status: 'COMPLETE'; description: string };
  imageScanFindings: ImageScanFindings;
}
