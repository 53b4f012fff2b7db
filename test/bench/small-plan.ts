// `npm run bench -- --only small-plan`: plan.ts's small configuration alone (issue 13: a
// small `dockwall plan` in 0.4 s, whole process), without the 20,000-line hosts that
// `--only plan` builds first.
export {smallPlans as main} from './plan.js'
