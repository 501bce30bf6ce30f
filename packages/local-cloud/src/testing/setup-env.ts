import { inject } from 'vitest';

// SDK clients created in tests find the local cloud the way apps do: through the standard variables.
Object.assign(process.env, inject('cloud').env);
// Apps built in a test process would write an EMF line to the test output per request; a
// test about metrics turns this off for the app it builds.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
