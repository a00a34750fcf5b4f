package dev.starling.p2p.pubsub;

/** Message signing policy (pubsub/README.md, "Signature Policy Options"). */
public enum SignaturePolicy {
    /** Sign own messages; require a valid signature, from and seqno on every received message. */
    STRICT_SIGN,
    /** Send no from/seqno/signature/key; reject received messages that carry any of them. */
    STRICT_NO_SIGN
}
