"""Attribution wing: who speaks each quotation (characters, discourse, the sieve) and the script files users correct."""
