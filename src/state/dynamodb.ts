// State in DynamoDB, one item per target:
//   target (S, partition key) · version (N) · record (S, the JSON record) · updatedAt (S)
// Written with a condition on the version read (attribute_not_exists for the first write): a failed
// condition is a conflict (exit 3), never an overwrite. A record under the key earlier versions gave the
// target is read while its own item is missing, and moved by the next write: in one transaction, its item
// put and the earlier one deleted on the version read (permissions: PutItem and DeleteItem). Throttling
// and transient errors are retried by the SDK (adaptive mode) within a bounded number of attempts and
// per-request timeouts.
import { wait } from '../wait.ts';
import { ConflictError, NotOurStateError, StateError } from '../errors.ts';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceInUseException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateContinuousBackupsCommand,
  type Delete,
  type Put,
} from '../aws/dynamodb-sdk.ts';
import { decodeRecord, encodeRecord, fitRecord, type StateRecord } from '../model/state-record.ts';
import { signalAt, transportCause } from '../transport.ts';
import { earlierVersion, ownedRecord, versionAtEarlier } from './earlier.ts';
import { readBeforeReset, type RemoveOptions } from './reset.ts';
import type { StateStore, VersionedRecord } from './types.ts';

/** An item holds at most 400 KB, attribute names included: keep the record well inside it. */
const MAX_RECORD_BYTES = 350 * 1000;

export interface DynamoOptions {
  table: string;
  region?: string | undefined;
  endpoint?: string | undefined;
  targetKey: string;
  /** The key earlier versions gave the target, where it differs: its item is read and moved. */
  earlierKey?: string | undefined;
  maxAttempts?: number;
  /** One request's limit (api.timeout). */
  requestTimeoutMs: number;
}

/**
 * One client per process and settings. A warm Lambda container runs many invocations in one
 * process: a client per invocation would be left behind each time (never destroyed) and redo its
 * TLS handshake and credential lookup; shared, its connections and credentials are reused, which
 * is what the SDK is built for. Not destroyed after an invocation: the next one would have to
 * make a new one. Settings differ only between configurations, so the map stays small (one in Lambda).
 */
const clients = new Map<string, DynamoDBClient>();

function sharedClient(options: DynamoOptions): DynamoDBClient {
  const maxAttempts = options.maxAttempts ?? 6; // throttling: up to 5 retries, with the SDK's backoff
  const { requestTimeoutMs } = options;
  const key = JSON.stringify([options.region, options.endpoint, maxAttempts, requestTimeoutMs]);
  let client = clients.get(key);
  if (!client) {
    client = new DynamoDBClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts,
      retryMode: 'adaptive',
      requestHandler: { requestTimeout: requestTimeoutMs, connectionTimeout: 2000, throwOnRequestTimeout: true },
    });
    clients.set(key, client);
  }
  return client;
}

export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly key: string;
  private readonly earlierKey: string | undefined;
  private readonly where: string;
  private readonly requestTimeoutMs: number;

  constructor(options: DynamoOptions, client?: DynamoDBClient) {
    this.table = options.table;
    this.key = options.targetKey;
    this.earlierKey = options.earlierKey;
    this.where = options.endpoint ?? `the ${options.region ?? 'default'} region`;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.client = client ?? sharedClient(options);
  }

  describe(): string {
    return this.at(this.key);
  }

  async read(signal?: AbortSignal): Promise<VersionedRecord> {
    const here = await this.readItem(this.key, signal);
    if (here.version !== null || this.earlierKey === undefined) return here;
    const there = await this.readItem(this.earlierKey, signal);
    return there.version === null ? there : { record: there.record, version: earlierVersion(there.version) };
  }

  async write(record: StateRecord, expected: string | null, until?: number, cut?: AbortSignal): Promise<string> {
    const atEarlier = versionAtEarlier(expected);
    if (atEarlier !== undefined && this.earlierKey === undefined) {
      throw new ConflictError(`${this.describe()} holds no record of version ${expected}: it was read elsewhere`);
    }
    const first = expected === null || atEarlier !== undefined;
    const next = first ? '1' : String(Number(expected) + 1);
    // The SDK retries inside send(): the bound and the cut end the call and its retries' waits alike.
    const deadline = signalAt(until);
    const bound = deadline && cut ? AbortSignal.any([deadline, cut]) : (deadline ?? cut);
    const put: Put = {
      TableName: this.table,
      Item: {
        target: { S: this.key },
        version: { N: next },
        record: { S: encodeRecord(fitRecord(record, MAX_RECORD_BYTES)) },
        updatedAt: { S: new Date().toISOString() },
      },
      ConditionExpression: first ? 'attribute_not_exists(#t)' : '#v = :expected',
      ExpressionAttributeNames: first ? { '#t': 'target' } : { '#v': 'version' },
      ...(first ? {} : { ExpressionAttributeValues: { ':expected': { N: expected! } } }),
    };
    try {
      // The SDK retries a write whose answer was lost; if the first attempt had landed, the retry
      // fails its condition, and the run recognises its own claim by the record's claim id (run.ts).
      if (atEarlier === undefined) await this.client.send(new PutItemCommand(put), { abortSignal: bound });
      else {
        const moved = [{ Put: put }, { Delete: this.earlierDelete(atEarlier) }];
        const transaction = new TransactWriteItemsCommand({ TransactItems: moved });
        await this.client.send(transaction, { abortSignal: bound });
      }
      return next;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || isConflict(err)) {
        const read = `version ${expected ?? 'none'}`;
        throw new ConflictError(
          `${this.describe()} changed since it was read (${read}): another invocation decided first`,
          { cause: err },
        );
      }
      if (cut?.aborted) throw cut.reason; // a signal's grace ran out: the run says so
      if (bound?.aborted) {
        const why = "stopped at the run's deadline (its time after the claim) before DynamoDB answered";
        throw new StateError(`${this.describe()}: write (PutItem) at ${this.where}: ${why}`, { cause: err });
      }
      throw this.failure(atEarlier === undefined ? 'write (PutItem)' : 'move (TransactWriteItems)', err);
    }
  }

  /**
   * Deletes this target's item (or the earlier one a read found instead), on the condition that it is
   * still the version read (a write since is a conflict: nothing removed). Forced over what is not ours,
   * deletes both unconditionally.
   */
  async remove(options: RemoveOptions = {}): Promise<void> {
    const found = await readBeforeReset(() => this.read(), options);
    if ('foreign' in found) {
      await this.deleteItem(this.key);
      if (this.earlierKey !== undefined) await this.deleteItem(this.earlierKey);
      return;
    }
    const { version } = found.ours;
    if (version === null) return; // no item: nothing to reset
    const atEarlier = versionAtEarlier(version);
    if (atEarlier === undefined) await this.deleteItem(this.key, version);
    else await this.deleteItem(this.earlierKey!, atEarlier); // the record read was not moved yet
  }

  /** The item under `key` read as this target's record (an earlier key's now owned by this one). */
  private async readItem(key: string, signal?: AbortSignal): Promise<VersionedRecord> {
    // The SDK ends the request and its retries' waits on abortSignal; send() turns that into the interruption.
    const get = new GetItemCommand({ TableName: this.table, Key: { target: { S: key } }, ConsistentRead: true });
    const out = await this.send('read (GetItem)', () => this.client.send(get, { abortSignal: signal }), signal);
    const item = out.Item;
    if (!item) return { record: null, version: null };
    const text = item['record']?.S;
    const version = item['version']?.N;
    if (text === undefined || version === undefined) {
      const found = `${this.at(key)}: the item has no record/version attributes`;
      throw new NotOurStateError(`${found}; it was not written by latency-scaler`, found);
    }
    let record: StateRecord;
    try {
      record = decodeRecord(JSON.parse(text));
    } catch (err) {
      const found = `${this.at(key)}: the record is not a valid state record (${(err as Error).message})`;
      throw new NotOurStateError(`${found}; run 'latency-scaler state reset --force'`, found, { cause: err });
    }
    const ours = ownedRecord(record, this.key, this.earlierKey);
    if (!ours) {
      const found = `${this.at(key)} holds the state of ${record.target}`;
      throw new NotOurStateError(found, found);
    }
    return { record: ours, version };
  }

  /** The earlier item's delete in a move: on the version read, so a write there since is a conflict. */
  private earlierDelete(version: string): Delete {
    return {
      TableName: this.table,
      Key: { target: { S: this.earlierKey! } },
      ConditionExpression: '#v = :read',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':read': { N: version } },
    };
  }

  /**
   * Deletes the item under `key`, on the condition that it is still `version` (a write since is a
   * conflict: nothing removed); without a version (forced over what is not ours), unconditionally.
   */
  private async deleteItem(key: string, version?: string): Promise<void> {
    const condition =
      version === undefined
        ? {}
        : {
            ConditionExpression: '#v = :read',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':read': { N: version } },
          };
    const remove = new DeleteItemCommand({ TableName: this.table, Key: { target: { S: key } }, ...condition });
    try {
      await this.client.send(remove);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const why = `changed since it was read (version ${version}): another run wrote it; nothing removed`;
        throw new ConflictError(`${this.at(key)} ${why}`, { cause: err });
      }
      throw this.failure('delete (DeleteItem)', err);
    }
  }

  private at(key: string): string {
    return `dynamodb ${this.table}[${key}]`;
  }

  /** `state init`: the table, on demand, with point-in-time recovery; an existing table is fine. */
  async createTable(): Promise<'created' | 'exists'> {
    let created: 'created' | 'exists' = 'created';
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.table,
          AttributeDefinitions: [{ AttributeName: 'target', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'target', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw this.failure('create table', err);
      created = 'exists';
    }
    for (let i = 0; i < 60; i++) {
      const d = await this.send('describe table', () =>
        this.client.send(new DescribeTableCommand({ TableName: this.table })),
      );
      if (d.Table?.TableStatus === 'ACTIVE') break;
      await wait(1000);
    }
    await this.client
      .send(
        new UpdateContinuousBackupsCommand({
          TableName: this.table,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      )
      .catch(() => undefined);
    return created;
  }

  /** Ends the client (shared: every store on these settings); a later store makes a new one. */
  destroy(): void {
    for (const [key, c] of clients) if (c === this.client) clients.delete(key);
    this.client.destroy();
  }

  private async send<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      signal?.throwIfAborted();
      throw this.failure(what, err);
    }
  }

  private failure(what: string, err: unknown): StateError {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = e?.name ?? 'Error';
    if (name === 'CredentialsProviderError') {
      const how = 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or run with a role';
      return new StateError(`${this.describe()}: ${what} failed: no AWS credentials found (${how})`, { cause: err });
    }
    if (e?.$metadata?.httpStatusCode === undefined && !name.endsWith('Exception')) {
      // Never reached DynamoDB, or no answer from it: say so, not the SDK's error class.
      const cause = transportCause(err, this.requestTimeoutMs);
      return new StateError(`${this.describe()}: ${what} failed: DynamoDB at ${this.where}: ${cause}`, { cause: err });
    }
    const hint =
      name === 'ResourceNotFoundException'
        ? ` (create it with 'latency-scaler state init')`
        : name === 'AccessDeniedException'
          ? ' (the IAM policy must allow dynamodb:GetItem, PutItem and DeleteItem on this table)'
          : '';
    return new StateError(`${this.describe()}: ${what} failed: ${name}: ${e?.message ?? String(err)}${hint}`, {
      cause: err,
    });
  }
}

/** A move cancelled by a condition (a write since the read) or by another transaction on its items. */
function isConflict(err: unknown): boolean {
  if (!(err instanceof TransactionCanceledException)) return false;
  return (err.CancellationReasons ?? []).some(
    (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
  );
}
