/**
 * The one link between the delivery path and log checkpoints: a view of the spool whose
 * `complete(claim)` (called by the delivery loop after the server's 2xx, or after a refusal
 * for good once the batch is set aside) also acknowledges a `logs` claim's batches to the log
 * source, which then advances the checkpoint. Everything else passes through unchanged.
 *
 * @example
 * ```ts
 * const delivery = new DeliveryLoop({ spool: acknowledgingSpool(spool, (ids) => logSource.acknowledge(ids)), … });
 * ```
 */

/** What this needs of a claim: its kind and the batch ids of its records. */
export interface AcknowledgeableClaim {
  kind: string;
  records: readonly { id: string }[];
}

/** `spool` with `complete` acknowledging log claims through `acknowledge` once completed. */
export function acknowledgingSpool<
  C extends AcknowledgeableClaim,
  S extends { complete(claim: C): Promise<void> },
>(spool: S, acknowledge: (ids: string[]) => void): S {
  const complete = async (claim: C) => {
    await spool.complete(claim);
    if (claim.kind === "logs") acknowledge(claim.records.map((r) => r.id));
  };
  return new Proxy(spool, {
    get(target, prop) {
      if (prop === "complete") return complete;
      // Methods and getters run on the spool itself (it keeps private state).
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
