// The records hooks pass, as the SDK declares them; the kernel's Message adds its shared encoder.
import type { PublishEncoder, PublishProperties, QoS } from '@nemq/codec';
import type { Message as SdkMessage, MessageFlags, MessageHeaders } from '@nemq/sdk';

export type { AclResult, ClientInfo, ConnInfo, MessageFlags, MessageHeaders, PubSub, SessInfo, SubOpts, TopicFilters } from '@nemq/sdk';

/** EMQX message record. One object per published message, shared by all deliveries. */
export class Message implements SdkMessage {
  /** lazily built encoder shared by every subscriber (undefined on a message a plugin built itself) */
  encoder: PublishEncoder | undefined = undefined;
  /** the message as cluster peers receive it, built on the first forward (cluster/wire.ts) */
  wire: Buffer | undefined = undefined;
  headers: MessageHeaders;
  constructor(
    public readonly id: number,
    public qos: QoS,
    public from: string,
    public flags: MessageFlags,
    public topic: string,
    public payload: Buffer,
    public properties: PublishProperties | undefined,
    public timestamp: number,
    headers?: MessageHeaders,
  ) {
    this.headers = headers ?? {};
  }
}
