// The baseline: the least a Fastify app behind an ALB costs to load in Lambda.
import awsLambdaFastify from '@fastify/aws-lambda';
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ ok: true }));

export const handler = awsLambdaFastify(app);
