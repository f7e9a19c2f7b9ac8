// State in DynamoDB, one item per target:
//   target (S, partition key) · version (N) · record (S, the JSON record) · updatedAt (S)
// Written with a condition on the version read (attribute_not_exists for the first write): a failed
// condition is a conflict (exit 3), never an overwrite. Throttling and transient errors are retried
// by the SDK (adaptive mode) within a bounded number of attempts and per-request timeouts.
import { ConflictError, StateError } from '../errors.ts';
import {
  ConditionalCheckFailedException, CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient,
  GetItemCommand, PutItemCommand, ResourceInUseException, UpdateContinuousBackupsCommand,
} from '../aws/dynamodb-sdk.ts';
import type { StateRecord, StateStore, VersionedRecord } from './types.ts';

export interface DynamoOptions {
  table: string;
  region?: string | undefined;
  endpoint?: string | undefined;
  targetKey: string;
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly key: string;

  constructor(options: DynamoOptions, client?: DynamoDBClient) {
    this.table = options.table;
    this.key = options.targetKey;
    this.client = client ?? new DynamoDBClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: options.maxAttempts ?? 6, // throttling: up to 5 retries, with the SDK's backoff
      retryMode: 'adaptive',
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 5000, connectionTimeout: 2000 },
    });
  }

  describe(): string {
    return `dynamodb ${this.table}[${this.key}]`;
  }

  async read(): Promise<VersionedRecord> {
    const out = await this.send('read', () => this.client.send(new GetItemCommand({ TableName: this.table, Key: { target: { S: this.key } }, ConsistentRead: true })));
    const item = out.Item;
    if (!item) return { record: null, version: null };
    const text = item['record']?.S;
    const version = item['version']?.N;
    if (text === undefined || version === undefined) throw new StateError(`${this.describe()}: the item has no record/version attributes; it was not written by latency-scaler`);
    let record: StateRecord;
    try {
      record = JSON.parse(text) as StateRecord;
    } catch (err) {
      throw new StateError(`${this.describe()}: the record is not valid JSON (${(err as Error).message}); run 'latency-scaler state reset'`, { cause: err });
    }
    return { record, version };
  }

  async write(record: StateRecord, expected: string | null): Promise<void> {
    const next = expected === null ? 1 : Number(expected) + 1;
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.table,
        Item: { target: { S: this.key }, version: { N: String(next) }, record: { S: JSON.stringify(record) }, updatedAt: { S: new Date().toISOString() } },
        ConditionExpression: expected === null ? 'attribute_not_exists(#t)' : '#v = :expected',
        ExpressionAttributeNames: expected === null ? { '#t': 'target' } : { '#v': 'version' },
        ...(expected === null ? {} : { ExpressionAttributeValues: { ':expected': { N: expected } } }),
      }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`${this.describe()} changed since it was read (version ${expected ?? 'none'}): another invocation decided first; nothing applied`, { cause: err });
      }
      throw this.failure('write', err);
    }
  }

  async remove(): Promise<void> {
    await this.send('delete', () => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { target: { S: this.key } } })));
  }

  /** `state init`: the table, on demand, with point-in-time recovery; an existing table is fine. */
  async createTable(): Promise<'created' | 'exists'> {
    let created: 'created' | 'exists' = 'created';
    try {
      await this.client.send(new CreateTableCommand({
        TableName: this.table,
        AttributeDefinitions: [{ AttributeName: 'target', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'target', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw this.failure('create table', err);
      created = 'exists';
    }
    for (let i = 0; i < 60; i++) {
      const d = await this.send('describe table', () => this.client.send(new DescribeTableCommand({ TableName: this.table })));
      if (d.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await this.client.send(new UpdateContinuousBackupsCommand({ TableName: this.table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })).catch(() => undefined);
    return created;
  }

  destroy(): void {
    this.client.destroy();
  }

  private async send<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.failure(what, err);
    }
  }

  private failure(what: string, err: unknown): StateError {
    const name = (err as Error)?.name ?? 'Error';
    const hint = name === 'ResourceNotFoundException' ? ` (create it with 'latency-scaler state init')` : name === 'AccessDeniedException' ? ' (the IAM policy must allow dynamodb:GetItem, PutItem and DeleteItem on this table)' : '';
    return new StateError(`${this.describe()}: ${what} failed: ${name}: ${(err as Error)?.message ?? String(err)}${hint}`, { cause: err });
  }
}
