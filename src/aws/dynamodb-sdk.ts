// The one module that imports the DynamoDB client, loaded lazily by the state factory: runs that
// keep state elsewhere never load the AWS SDK (cold start). Named imports keep it tree-shaken.
export {
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
} from '@aws-sdk/client-dynamodb';
export type { Delete, Put } from '@aws-sdk/client-dynamodb';
import { markLoaded } from '../loaded.ts';

markLoaded('aws sdk');
