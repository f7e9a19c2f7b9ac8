// The AWS default credential chain (environment, the Lambda role, profiles), loaded lazily.
export { defaultProvider } from '@aws-sdk/credential-provider-node';
import { markLoaded } from '../loaded.ts';

markLoaded('aws sdk');
