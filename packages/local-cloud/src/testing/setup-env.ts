import { inject } from 'vitest';

// SDK clients created in tests find the local cloud the way apps do: through the standard variables.
Object.assign(process.env, inject('cloud').env);
