/** setupFiles of the e2e-workflow project: the same e2e files against RESERVE_MODE=workflow. */
process.env.E2E_RESERVE_MODE = 'workflow';
