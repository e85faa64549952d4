// Starting a bulk replay: creates the job, then opens its live progress page.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { startReplayJob, type ReplaySelection } from '../api/deadLetters.js';
import { buildPath } from '../router/match.js';
import { useNavigate } from '../router/router.js';

export function useStartReplayJob() {
  const navigate = useNavigate();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (selection: ReplaySelection) => startReplayJob(selection),
    onSuccess: async (job) => {
      await client.invalidateQueries({ queryKey: ['replay-jobs'] });
      navigate(buildPath('/replay-jobs/:id', { id: job.id }));
    },
  });
}
