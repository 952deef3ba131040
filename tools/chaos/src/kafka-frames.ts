/**
 * Just enough of the Kafka wire protocol for the run's proxy to tell whose connection it carries
 * and which Produce requests are in flight: size-prefixed frames, the request header (api key,
 * version, correlation id, client id), the record count of a Produce request (v3–v8, record
 * batches), the correlation id of a response.
 */

export const PRODUCE_API_KEY = 0;

/** Bytes of a frame kept for parsing: headers and small Produce requests; larger ones are cut. */
const MAX_KEPT = 1 << 20;
/** Offset of the record count in a record batch (magic 2). */
const RECORD_COUNT_OFFSET = 57;

/** Splits a byte stream into Kafka frames (without their size prefix). */
export class FrameSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private have = 0;
  /** Size of the frame being read, -1 while its size prefix is still incomplete. */
  private size = -1;

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.size < 0) {
        const take = Math.min(4 - this.have, chunk.length - offset);
        this.parts.push(chunk.subarray(offset, offset + take));
        this.have += take;
        offset += take;
        if (this.have === 4) this.startFrame(Buffer.concat(this.parts).readInt32BE(0));
      } else {
        const take = Math.min(this.size - this.have, chunk.length - offset);
        const keep = Math.min(take, MAX_KEPT - this.kept);
        if (keep > 0) this.parts.push(chunk.subarray(offset, offset + keep));
        this.kept += Math.max(keep, 0);
        this.have += take;
        offset += take;
      }
      if (this.size >= 0 && this.have === this.size) {
        frames.push(Buffer.concat(this.parts));
        this.startFrame(-1);
      }
    }
    return frames;
  }

  private startFrame(size: number) {
    this.size = size;
    this.parts = [];
    this.kept = 0;
    this.have = 0;
  }
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** The header of a request frame, or undefined when the frame is too short to hold one. */
export function requestHeader(frame: Buffer): RequestHeader | undefined {
  if (frame.length < 10) return undefined;
  const length = frame.readInt16BE(8);
  if (length > 0 && frame.length < 10 + length) return undefined;
  return {
    apiKey: frame.readInt16BE(0),
    apiVersion: frame.readInt16BE(2),
    correlationId: frame.readInt32BE(4),
    clientId: length < 0 ? null : frame.toString('utf8', 10, 10 + length),
  };
}

/** The bytes after a request's header (header v1: api key, version, correlation id, client id). */
function requestBody(frame: Buffer): Buffer {
  const length = frame.readInt16BE(8);
  return frame.subarray(10 + Math.max(length, 0));
}

export function responseCorrelationId(frame: Buffer): number | undefined {
  return frame.length >= 4 ? frame.readInt32BE(0) : undefined;
}

export interface ProduceRequest {
  acks: number;
  /** Records over every topic and partition; undefined when the version or frame is not readable. */
  records: number | undefined;
}

/**
 * The acks and record count of a Produce request: v3–v8 (what kafkajs sends: transactional id,
 * acks, timeout, then per topic per partition a record set of magic-2 batches). Flexible versions
 * (v9+) are not read.
 */
export function produceRequest(frame: Buffer, header: RequestHeader): ProduceRequest | undefined {
  if (header.apiKey !== PRODUCE_API_KEY || header.apiVersion < 3 || header.apiVersion > 8) return undefined;
  const reader = new Reader(requestBody(frame));
  let acks: number | undefined;
  try {
    reader.string(); // transactional id
    acks = reader.int16();
    reader.int32(); // timeout
    let records = 0;
    for (let topics = reader.int32(); topics > 0; topics--) {
      reader.string();
      for (let partitions = reader.int32(); partitions > 0; partitions--) {
        reader.int32(); // partition
        records += recordsIn(reader.bytes());
      }
    }
    return { acks, records };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // Cut short (a frame over MAX_KEPT): the records are not counted.
    return acks === undefined ? undefined : { acks, records: undefined };
  }
}

function recordsIn(recordSet: Buffer): number {
  let records = 0;
  for (let offset = 0; offset + RECORD_COUNT_OFFSET + 4 <= recordSet.length;) {
    const batchLength = recordSet.readInt32BE(offset + 8);
    records += recordSet.readInt32BE(offset + RECORD_COUNT_OFFSET);
    offset += 12 + batchLength;
  }
  return records;
}

/** Reads big-endian fields in order; a read past the end throws a RangeError. */
class Reader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    this.skip(length);
    return this.buffer.toString('utf8', this.offset - length, this.offset);
  }

  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) return Buffer.alloc(0);
    this.skip(length);
    return this.buffer.subarray(this.offset - length, this.offset);
  }

  private skip(length: number) {
    if (this.offset + length > this.buffer.length) throw new RangeError('frame cut short');
    this.offset += length;
  }
}
