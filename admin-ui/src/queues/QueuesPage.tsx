// Queues: every queue of the topology with its depth, consumers and rates, from the RabbitMQ management API.
import { useQuery } from '@tanstack/react-query';
import { fetchQueues } from '../api/operations.js';
import { PageHeader } from '../Layout.js';
import { Empty, QueryView } from '../ui/states.js';
import { sortQueues } from './health.js';
import { QueueTable } from './QueueTable.js';

export function QueuesPage() {
  const queues = useQuery({ queryKey: ['queues'], queryFn: fetchQueues, refetchInterval: 5_000 });
  return (
    <>
      <PageHeader
        title="Queues"
        subtitle="Depth, consumers and message rates per queue; refreshes every 5 seconds."
      />
      <QueryView query={queues} loadingLabel="Loading queues…">
        {(list) =>
          !list.available ? (
            <div className="banner banner--warning" role="alert">
              The RabbitMQ management API cannot be reached{list.error ? `: ${list.error}` : ''}. Queue
              figures are unavailable.
            </div>
          ) : list.items.length === 0 ? (
            <Empty title="No queues found" />
          ) : (
            <QueueTable queues={sortQueues(list.items)} caption="Queues, problems first" />
          )
        }
      </QueryView>
    </>
  );
}
