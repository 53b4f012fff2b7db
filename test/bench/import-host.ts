// A host with many foreign rules, for the import benchmarks (issue 13): the Docker
// 20.10 layout of fixtures/import/generate-sandbox plus `n` rules an operator typed:
// per-client accepts to a container in DOCKER-USER, block-list drops of /24 networks,
// and accepts of management clients in INPUT. Every source is different, as on real
// hosts (block lists, per-customer forwards), so most pairs of rules cannot match the
// same packet and import can move almost all of them.
export function foreignRules(n: number): {dockerUser: string[]; input: string[]} {
  const dockerUser: string[] = []
  const input: string[] = []
  for (let i = 0; i < n; i++) {
    const a = (i >> 16) & 255
    const b = (i >> 8) & 255
    const c = i & 255
    switch (i % 4) {
      case 0:
      case 1:
        dockerUser.push(
          `-s 10.${a}.${b}.${c}/32 -d 172.18.103.2/32 -p tcp -m tcp --dport ${8000 + (i % 1000)} -j ACCEPT`,
        )
        break
      case 2:
        dockerUser.push(`-s 100.${64 + a}.${b}.0/24 -j DROP`.replace(/\.\d+\.0\/24/, `.${(b + c) & 255}.0/24`))
        break
      default:
        input.push(`-s 192.${168 - (a & 1)}.${b}.${c}/32 -p tcp -m tcp --dport 2222 -j ACCEPT`)
    }
  }
  return {dockerUser: [...new Set(dockerUser)], input: [...new Set(input)]}
}

/** The generate-sandbox host dump with the foreign rules added (DOCKER-USER's before its last rule, INPUT's before its drop). */
export function hostDumpWith(base: string, n: number): string {
  const {dockerUser, input} = foreignRules(n)
  const lines = base.split('\n')
  const out: string[] = []
  for (const l of lines) {
    if (l === '-A INPUT -j DROP') for (const r of input) out.push(`-A INPUT ${r}`)
    out.push(l)
    if (l.startsWith('-A DOCKER-USER -m conntrack')) for (const r of dockerUser) out.push(`-A DOCKER-USER ${r}`)
  }
  return out.join('\n')
}
