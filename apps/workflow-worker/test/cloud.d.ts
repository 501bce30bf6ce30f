// The `inject('cloud')` type, declared by the local cloud's global setup.
import type {} from '@stateless/local-cloud/testing/global-setup';
