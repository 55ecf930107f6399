// The completion scripts `tweetstream completion bash|zsh|fish` prints. Each only hands
// the words typed to `tweetstream __complete`, which knows the commands (from the
// commander tree), and offers what it prints; `:files` asks for file-name completion.
// What it prints is data (names from the server may hold $(…), quotes, globs): each
// line becomes one candidate as is, never through compgen -W, eval or an unquoted
// expansion; zsh and fish quote it when inserting it, bash gets it quoted already.

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const bash = `# tweetstream completion for bash. Install (one of):
#   echo 'source <(tweetstream completion bash)' >> ~/.bashrc
#   tweetstream completion bash > ~/.local/share/bash-completion/completions/tweetstream
_tweetstream() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" line
  local -a out=()
  COMPREPLY=()
  # one candidate a line, already filtered by prefix: copied, never expanded
  while IFS= read -r line; do
    out+=("$line")
  done < <(tweetstream __complete --shell bash -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if [[ "\${out[0]}" == ":files" ]]; then
    compopt -o filenames 2>/dev/null
    while IFS= read -r line; do
      COMPREPLY+=("$line")
    done < <(compgen -f -- "$cur")
  else
    # already quoted by __complete for the quote being typed (-o filenames would leave $ bare)
    COMPREPLY=("\${out[@]}")
  fi
}
complete -F _tweetstream tweetstream
`;

const zsh = `#compdef tweetstream
# tweetstream completion for zsh. Install (one of):
#   tweetstream completion zsh > "\${fpath[1]}/_tweetstream"   (then restart zsh)
#   echo 'source <(tweetstream completion zsh)' >> ~/.zshrc   (after compinit)
_tweetstream() {
  local -a out
  out=("\${(@f)$(tweetstream __complete --shell zsh -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  out=(\${out:#})
  if [[ "\${out[1]}" == ":files" ]]; then
    _files
  else
    compadd -- "\${out[@]}"
  fi
}
if [[ "$funcstack[1]" == "_tweetstream" ]]; then
  _tweetstream "$@"
else
  compdef _tweetstream tweetstream
fi
`;

const fish = `# tweetstream completion for fish. Install:
#   tweetstream completion fish > ~/.config/fish/completions/tweetstream.fish
function __tweetstream_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l out (tweetstream __complete --shell fish -- $words 2>/dev/null)
    if test "$out[1]" = ":files"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c tweetstream -f -a '(__tweetstream_complete)'
`;

export const COMPLETION_SCRIPTS: Record<Shell, string> = { bash, zsh, fish };
