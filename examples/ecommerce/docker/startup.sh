#!/bin/bash
# startup.sh
service postgresql start
/usr/sbin/sshd -D
