// What the rest of berth uses of image scanning.
export { scanImage, type AdvisorySource } from './scan.js';
export { VulnerabilityDatabase, type ImportReport } from './vulndb.js';
export type {
  Attribute,
  FindingSeverity,
  ImageScanFinding,
  ImageScanFindings,
  Inventory,
  LayerOpener,
  Osv,
  Package,
  ScanResult,
} from './types.js';
