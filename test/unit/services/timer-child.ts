// `dockwall rollback-timer FILE` for the unit tests: the same runTimer, from the sources.
import {runTimer} from '../../../src/services/confirm.js'

await runTimer(process.argv[2]!)
