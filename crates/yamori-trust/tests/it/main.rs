mod cryptopan;
mod decay;
mod ipcrypt;
mod kanon;
mod warninglist;
