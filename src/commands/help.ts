// oclif's own help command, bundled with the CLI so it shares our copy of @oclif/core.
import { commands } from '@oclif/plugin-help'

export default commands.help
