// The botocore service-2.json format, as much of it as berth reads.

export interface ShapeRef {
  shape: string;
  locationName?: string;
  location?: string;
  flattened?: boolean;
  xmlAttribute?: boolean;
  idempotencyToken?: boolean;
}

export interface Shape {
  type:
    | 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean'
    | 'timestamp' | 'blob' | 'float' | 'double' | 'bigdecimal' | 'biginteger';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  flattened?: boolean;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  timestampFormat?: string;
  locationName?: string;
  sensitive?: boolean;
  document?: boolean;
  union?: boolean;
}

export interface Operation {
  name: string;
  http?: { method: string; requestUri: string };
  input?: ShapeRef;
  output?: ShapeRef & { resultWrapper?: string };
  errors?: ShapeRef[];
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    protocol: string;
    protocols?: string[];
    jsonVersion?: string;
    targetPrefix?: string;
    signingName?: string;
    serviceId: string;
    xmlNamespace?: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}
