// Docker 28's raw PREROUTING drops, recognised by shape: the planner writes raw
// openings where they are, and import and show --actual attribute them to Docker
// (src/import/owners.ts holds the rest of what is Docker's). Specs are in
// iptables-save's normal form (the arguments after `-A CHAIN`).

/**
 * Docker 28's direct-access drop in raw PREROUTING: `-d CONTAINER/32 ! -i BRIDGE -j DROP`
 * (28.0.2+, per endpoint), or per published port in 28.0 and for ports published on a
 * loopback address (`-d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP`).
 */
export function isDirectAccessDrop(spec: string): boolean {
  return /^-d \S+ ! -i \S+(?: -p (?:tcp|udp|sctp) -m (?:tcp|udp|sctp) --dport \d+)? -j DROP$/.test(spec)
}
