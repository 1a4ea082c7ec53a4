// The baseline of `npm run bench:api`: a bare Fastify route answering a fixed JSON body, with no
// auth, database or validation. Prints its address on stdout.
import Fastify from 'fastify'

const body = process.argv[2] ?? '{}'
const app = Fastify({ logger: false })
app.get('/bare', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body))
const address = await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${address}\n`)
