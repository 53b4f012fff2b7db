// `docker exec` through the API: output demultiplexed into stdout and stderr, and
// the exit code read back from the exec instance.
import {Writable} from 'node:stream'

import type Docker from 'dockerode'

import {sleep} from './procfs.js'

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

function collector(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
}

export async function dockerExec(
  docker: Docker,
  container: string,
  argv: readonly string[],
  opts: {timeoutMs?: number} = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  const exec = await docker
    .getContainer(container)
    .exec({Cmd: [...argv], AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false})
  const stream = await exec.start({hijack: true, stdin: false})
  const out: Buffer[] = []
  const err: Buffer[] = []
  docker.modem.demuxStream(stream, collector(out), collector(err))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy()
      reject(new Error(`docker exec in ${container} timed out after ${timeoutMs} ms: ${argv.join(' ')}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    stream.once('end', done)
    stream.once('close', done)
    stream.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
  // The stream can end a moment before the exec is marked finished.
  let info = await exec.inspect()
  for (let i = 0; info.Running && i < 200; i++) {
    await sleep(10)
    info = await exec.inspect()
  }
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    exitCode: info.ExitCode ?? -1,
  }
}

/** Starts a process in the container and returns at once (`docker exec -d`). */
export async function dockerExecDetached(docker: Docker, container: string, argv: readonly string[]): Promise<void> {
  const exec = await docker
    .getContainer(container)
    .exec({Cmd: [...argv], AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false})
  await exec.start({Detach: true})
}
