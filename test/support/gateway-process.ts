// The gateway process helpers live in the product (the lab runs the same gateway); tests import them here.
export * from '../../src/lib/lab/gateway-process.js'
