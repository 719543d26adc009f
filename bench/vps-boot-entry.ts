// What bench/vps-boot.js bundles: the lab's VPS boot, the two renderings and the lab cloud.
export { renderCloudInit } from '../src/lib/bootstrap/cloud-init.js'
export { renderPostInstallScript } from '../src/lib/bootstrap/post-install.js'
export { generateCredentials } from '../src/lib/lab/cloud/credentials.js'
export { startLabCloud } from '../src/lib/lab/cloud/lab-cloud.js'
export { bootVps } from '../src/lib/lab/vps/boot.js'
export { installShims } from '../src/lib/lab/vps/shims.js'
